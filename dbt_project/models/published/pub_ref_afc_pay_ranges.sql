{{ config(alias='afc_pay_ranges') }}
-- Reference table served beside the marts.
select * from {{ ref('stg_reference__afc_pay_ranges') }}

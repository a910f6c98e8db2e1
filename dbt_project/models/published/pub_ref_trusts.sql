{{ config(alias='trusts') }}
-- Reference table served beside the marts.
select * from {{ ref('stg_reference__trusts') }}

{{ config(alias='code_labels') }}
-- Reference table served beside the marts.
select * from {{ ref('stg_reference__code_labels') }}

{{ config(alias='ethnic_groups') }}
-- Reference table served beside the marts.
select * from {{ ref('stg_reference__ethnic_groups') }}

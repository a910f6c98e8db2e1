{{ config(alias='ref_population') }}
-- Reference table served beside the marts: the population a diversity figure is set
-- against, with its citation.
select * from {{ ref('stg_reference__population') }}

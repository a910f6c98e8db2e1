{{ config(alias='regions') }}
-- NHS England regions of the registered trusts.
with trusts as (
    select * from {{ ref('stg_reference__trusts') }}
)

select
    region_code,
    min(region_name) as region_name,
    count(*) as trusts_registered
from trusts
group by region_code

{{ config(
    store_failures=true,
    schema='audit',
    meta={'dagster': {'ref': {'name': 'stg_reference__trusts'}}}
) }}
-- A trust leaves the registry only by closing (valid_to), never by deletion
-- (docs/interfaces.md): a trust deleted from the registry would take its history out of every
-- regional and national figure. Fails the build, so nothing is published, and names the
-- trust: put it back with valid_to set to its last month.
with submitted as (
    select distinct trust_ods_code from {{ ref('stg_platform__submissions') }}
),

trusts as (
    select * from {{ ref('stg_reference__trusts') }}
)

select submitted.trust_ods_code
from submitted
left join trusts
    on submitted.trust_ods_code = trusts.trust_ods_code
where trusts.trust_ods_code is null

-- Where each trust counts at every level of the published geography: itself, its
-- region, England. The one place the trust -> region -> nation roll-up is written: a
-- figure by geography is the trust figures joined here and grouped by geography.
with trusts as (
    select * from {{ ref('stg_reference__trusts') }}
),

trust_level as (
    select
        trust_ods_code,
        'trust' as geography_level,
        trust_ods_code as geography_code,
        trust_name as geography_name,
        region_code as parent_geography_code
    from trusts
),

region_level as (
    select
        trust_ods_code,
        'region' as geography_level,
        region_code as geography_code,
        region_name as geography_name,
        'ENG' as parent_geography_code
    from trusts
),

national_level as (
    select
        trust_ods_code,
        'national' as geography_level,
        'ENG' as geography_code,
        'England' as geography_name,
        cast(null as {{ type_text() }}) as parent_geography_code
    from trusts
)

select * from trust_level
union all
select * from region_level
union all
select * from national_level

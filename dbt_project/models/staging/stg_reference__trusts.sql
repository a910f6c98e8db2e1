-- The trust registry: PSW_TRUST_REGISTRY when set (read when the model runs), otherwise
-- the shipped list (seed `trusts`); see the trust_registry macro.
-- depends_on: {{ ref('trusts') }}
with source as (
    {{ trust_registry() }}
),

renamed as (
    select
        upper(trim(cast(ods_code as {{ type_text() }}))) as trust_ods_code,
        trim(cast(trust_name as {{ type_text() }})) as trust_name,
        trim(cast(region_code as {{ type_text() }})) as region_code,
        trim(cast(region_name as {{ type_text() }})) as region_name,
        cast(nullif(trim(cast(valid_from as {{ type_text() }})), '') || '-01' as date) as valid_from,
        {{ month_end("cast(nullif(trim(cast(valid_to as " ~ type_text() ~ ")), '') || '-01' as date)") }} as valid_to,
        upper(nullif(trim(cast(successor_ods_code as {{ type_text() }})), '')) as successor_ods_code
    from source
)

select * from renamed

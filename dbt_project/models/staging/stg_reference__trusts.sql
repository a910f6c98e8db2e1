-- The trust registry: PSW_TRUST_REGISTRY when set (read when the model runs), otherwise
-- the shipped list (seed `trusts`). The lifecycle columns are optional in the CSV
-- (INTERFACES.md): a registry without them has every trust open in every month.
-- depends_on: {{ ref('trusts') }}
with registry as (
    {% if env_var('PSW_TRUST_REGISTRY', '') %}
        select * from read_csv('{{ env_var("PSW_TRUST_REGISTRY") }}', header = true, all_varchar = true)
    {% else %}
        select * from {{ ref('trusts') }}
    {% endif %}
),

optional_columns as (
    select
        cast(null as varchar) as valid_from,
        cast(null as varchar) as valid_to,
        cast(null as varchar) as successor_ods_code
    where false
),

source as (
    select * from optional_columns
    union all by name
    select * from registry
),

renamed as (
    select
        upper(trim(cast(ods_code as varchar))) as trust_ods_code,
        trim(cast(trust_name as varchar)) as trust_name,
        trim(cast(region_code as varchar)) as region_code,
        trim(cast(region_name as varchar)) as region_name,
        cast(nullif(trim(cast(valid_from as varchar)), '') || '-01' as date) as valid_from,
        last_day(cast(nullif(trim(cast(valid_to as varchar)), '') || '-01' as date)) as valid_to,
        upper(nullif(trim(cast(successor_ods_code as varchar)), '')) as successor_ods_code
    from source
)

select * from renamed

-- The trust registry: PSW_TRUST_REGISTRY when set (read when the model runs), otherwise
-- the shipped list (seed `trusts`).
-- depends_on: {{ ref('trusts') }}
with source as (
    {% if env_var('PSW_TRUST_REGISTRY', '') %}
        select * from read_csv('{{ env_var("PSW_TRUST_REGISTRY") }}', header = true, all_varchar = true)
    {% else %}
        select * from {{ ref('trusts') }}
    {% endif %}
),

renamed as (
    select
        upper(trim(cast(ods_code as varchar))) as trust_ods_code,
        trim(cast(trust_name as varchar)) as trust_name,
        trim(cast(region_code as varchar)) as region_code,
        trim(cast(region_name as varchar)) as region_name
    from source
)

select * from renamed

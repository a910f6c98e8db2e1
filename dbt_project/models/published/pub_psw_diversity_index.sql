{{ config(alias='psw_diversity_index') }}
-- psw_diversity_index with disclosure control: at every level the index and the number
-- of categories present are worked out from the published (perturbed) counts, so they
-- reveal nothing the counts do not.
with diversity as (
    select * from {{ ref('psw_diversity_index') }}
),

cells as (
    select * from {{ ref('int_disclosure_cells') }}
    where source_table = 'breakdown' and dimension != 'afc_band'
),

published_entropy as (
    select
        period_end,
        geography_level,
        geography_code,
        dimension,
        count(case when published_value > 0 then 1 end) as categories_present,
        exp(-sum(
            case
                when published_value > 0
                    then
                        (published_value / cast(published_total as {{ type_double() }}))
                        * ln(published_value / cast(published_total as {{ type_double() }}))
                else 0
            end
        )) as effective_categories
    from cells
    where published_total > 0
    group by period_end, geography_level, geography_code, dimension
)

select
    diversity.period_end,
    diversity.geography_level,
    diversity.geography_code,
    diversity.geography_name,
    diversity.dimension,
    published_entropy.categories_present,
    {{ round_to('published_entropy.effective_categories', 2) }} as effective_categories
from diversity
left join published_entropy
    on
        diversity.period_end = published_entropy.period_end
        and diversity.geography_level = published_entropy.geography_level
        and diversity.geography_code = published_entropy.geography_code
        and diversity.dimension = published_entropy.dimension

{{ config(alias='psw_diversity_index') }}
-- psw_diversity_index with disclosure control: below national level the index is worked
-- out from the published (rounded) counts, and is NULL when any count of its breakdown
-- is suppressed (it is a function of every share); so is the number of categories
-- present (a category with people in it says the count is at least one).
with diversity as (
    select * from {{ ref('psw_diversity_index') }}
),

cells as (
    select * from {{ ref('int_disclosure_cells') }}
    where source_table = 'breakdown' and dimension != 'afc_band'
),

published_counts as (
    select
        period_end,
        geography_level,
        geography_code,
        dimension,
        bool_or(is_suppressed) as any_suppressed,
        cast(sum({{ sdc_round('value') }}) as {{ type_double() }}) as published_total,
        count(case when {{ sdc_round('value') }} > 0 then 1 end) as categories_published
    from cells
    group by period_end, geography_level, geography_code, dimension
),

published_entropy as (
    select
        cells.period_end,
        cells.geography_level,
        cells.geography_code,
        cells.dimension,
        exp(-sum(
            case
                when {{ sdc_round('cells.value') }} > 0
                    then
                        ({{ sdc_round('cells.value') }} / published_counts.published_total)
                        * ln({{ sdc_round('cells.value') }} / published_counts.published_total)
                else 0
            end
        )) as effective_categories
    from cells
    inner join published_counts
        on
            cells.period_end = published_counts.period_end
            and cells.geography_level = published_counts.geography_level
            and cells.geography_code = published_counts.geography_code
            and cells.dimension = published_counts.dimension
    where not published_counts.any_suppressed and published_counts.published_total > 0
    group by cells.period_end, cells.geography_level, cells.geography_code, cells.dimension
)

select
    diversity.period_end,
    diversity.geography_level,
    diversity.geography_code,
    diversity.geography_name,
    diversity.dimension,
    case
        when diversity.geography_level = 'national' then diversity.categories_present
        when not published_counts.any_suppressed then published_counts.categories_published
    end as categories_present,
    case
        when diversity.geography_level = 'national' then diversity.effective_categories
        else {{ round_to('published_entropy.effective_categories', 2) }}
    end as effective_categories
from diversity
left join published_entropy
    on
        diversity.period_end = published_entropy.period_end
        and diversity.geography_level = published_entropy.geography_level
        and diversity.geography_code = published_entropy.geography_code
        and diversity.dimension = published_entropy.dimension
left join published_counts
    on
        diversity.period_end = published_counts.period_end
        and diversity.geography_level = published_counts.geography_level
        and diversity.geography_code = published_counts.geography_code
        and diversity.dimension = published_counts.dimension

{#- Statistical disclosure control (RETURN_SPEC.md, Measures): below national level 0
    stays 0, 1 to sdc_largest_suppressed() (7) is suppressed (NULL, with a flag), other
    counts are rounded to the nearest sdc_rounding_base() (5); national figures are
    exact. Both numbers come from `disclosure` in schemas/return_v1.yaml. -#}

{% macro sdc_is_small(value) -%}
    ({{ value }} between 1 and {{ sdc_largest_suppressed() }})
{%- endmacro %}

{% macro sdc_round(value) -%}
    cast(round({{ value }} / {{ sdc_rounding_base() }}.0) * {{ sdc_rounding_base() }} as bigint)
{%- endmacro %}

{#- The published value of a count: exact nationally, else NULL or rounded. -#}
{% macro sdc_count(value, is_suppressed, geography_level) -%}
    case
        when {{ geography_level }} = 'national' then {{ value }}
        when {{ is_suppressed }} then null
        else {{ sdc_round(value) }}
    end
{%- endmacro %}

{#- How the published value relates to the true one: exact, rounded, suppressed (small)
    or secondary (suppressed so that another suppressed cell cannot be worked out). -#}
{% macro sdc_flag(value, is_primary, is_suppressed, geography_level) -%}
    case
        when {{ value }} is null then null
        when {{ geography_level }} = 'national' then 'exact'
        when {{ is_primary }} then 'suppressed'
        when {{ is_suppressed }} then 'secondary'
        when {{ value }} = 0 then 'exact'
        else 'rounded'
    end
{%- endmacro %}

{#- A ratio published below national level from the published (rounded) counts, so it
    reveals nothing the counts do not; NULL when either count is suppressed. -#}
{% macro sdc_ratio(numerator, denominator, numerator_suppressed, denominator_suppressed, digits=3) -%}
    case
        when {{ numerator_suppressed }} or {{ denominator_suppressed }} then null
        when {{ sdc_round(denominator) }} = 0 then null
        else {{ round_to(
            'cast(' ~ sdc_round(numerator) ~ ' as ' ~ type_double() ~ ') / ' ~ sdc_round(denominator),
            digits
        ) }}
    end
{%- endmacro %}

{#- Secondary suppression: in a group (partition_by) with exactly one suppressed cell,
    also suppress its smallest non-zero unsuppressed cell (a zero one only where
    zero_allowed, for groups whose total is published exactly). -#}
{% macro sdc_secondary(partition_by, value, is_suppressed, tie_breaker, zero_allowed='false') -%}
    (
        not {{ is_suppressed }}
        and ({{ value }} > 0 or {{ zero_allowed }})
        and sum(case when {{ is_suppressed }} then 1 else 0 end) over (
            partition by {{ partition_by }}
        ) = 1
        and row_number() over (
            partition by {{ partition_by }},
            (not {{ is_suppressed }} and ({{ value }} > 0 or {{ zero_allowed }}))
            order by {{ value }} = 0, {{ value }}, {{ tie_breaker }}
        ) = 1
    )
{%- endmacro %}

{#- The published measures of a breakdown row (`measures`, a marts breakdown with
    breakdown_total) given its decided cell (`cells`, from int_disclosure_cells). -#}
{% macro sdc_breakdown_measures(measures, cells) -%}
    {{ sdc_count(measures ~ '.headcount', cells ~ '.is_suppressed', measures ~ '.geography_level') }}
        as headcount,
    {{ sdc_flag(measures ~ '.headcount', cells ~ '.is_primary', cells ~ '.is_suppressed',
        measures ~ '.geography_level') }} as headcount_flag,
    case
        when {{ measures }}.geography_level = 'national' then {{ measures }}.fte
        when {{ cells }}.is_suppressed then null
        else {{ round_to(measures ~ '.fte', 1) }}
    end as fte,
    case
        when {{ measures }}.geography_level = 'national' then {{ measures }}.headcount_share
        else {{ sdc_ratio(measures ~ '.headcount', measures ~ '.breakdown_total',
            cells ~ '.is_suppressed', sdc_is_small(measures ~ '.breakdown_total')) }}
    end as headcount_share
{%- endmacro %}

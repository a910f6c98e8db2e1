{#- Statistical disclosure control (docs/disclosure-control.md): cell-key perturbation of
    every published count, at every level. Each person (or row) has a record key from
    the MD5 of their pseudonym; a cell's key is the sum of its members' record keys modulo
    2^32, so the same people make the same key in every table, level, month and publish;
    the key picks the noise from a two-sided geometric distribution (P(k) proportional to
    sdc_perturbation_ratio() ** |k|), whose largest value a 32-bit key can reach is
    sdc_largest_perturbation(). The numbers come from `disclosure` in the standard. -#}

{#- A member's record key: 32 bits of the MD5 of a text that is already a keyed pseudonym
    (staff_key is an HMAC of the staff id), so it cannot be worked out from outside. -#}
{% macro sdc_record_key(pseudonym) -%}
    {{ md5_bits32(pseudonym) }}
{%- endmacro %}

{#- A cell key from a sum of record keys (or of cell keys, rolling up): modulo 2^32. -#}
{% macro sdc_cell_key(sum_of_keys) -%}
    cast(coalesce({{ sum_of_keys }}, 0) % 4294967296 as bigint)
{%- endmacro %}

{#- A second key derived from a cell key, for another count of the same members (a
    return's errors beside its rows): independent of the first, as MD5 mixes it. -#}
{% macro sdc_derived_key(cell_key, purpose) -%}
    {{ md5_bits32("cast(" ~ cell_key ~ " as " ~ type_text() ~ ") || ':" ~ purpose ~ "'") }}
{%- endmacro %}

{#- The noise a cell key picks: the inverse of the two-sided geometric distribution's
    cumulative probability at u = (key + 0.5) / 2^32. P(noise <= -m) = r^m / (1 + r) for
    m >= 1, so the lower tail is -floor(log_r(u (1 + r))); the upper tail mirrors it. -#}
{% macro sdc_noise(cell_key) -%}
    {%- set r = 'cast(' ~ sdc_perturbation_ratio() ~ ' as ' ~ type_double() ~ ')' -%}
    {%- set u = '((cast(' ~ cell_key ~ ' as ' ~ type_double() ~ ') + 0.5) / 4294967296.0)' -%}
    case
        when {{ u }} < {{ r }} / (1 + {{ r }})
            then -cast(floor(ln({{ u }} * (1 + {{ r }})) / ln({{ r }})) as bigint)
        when {{ u }} > 1 / (1 + {{ r }})
            then cast(floor(ln((1 - {{ u }}) * (1 + {{ r }})) / ln({{ r }})) as bigint)
        else 0
    end
{%- endmacro %}

{#- The published value of a count: NULL stays NULL, 0 stays 0 (no member, no one to
    protect), else the count plus its cell's noise, never below 0. -#}
{% macro sdc_perturb(value, cell_key) -%}
    case
        when {{ value }} is null then null
        when {{ value }} = 0 then cast(0 as bigint)
        else cast(greatest(0, {{ value }} + {{ sdc_noise(cell_key) }}) as bigint)
    end
{%- endmacro %}

{#- FTE published with noise of its own: the cell's FTE plus the noise of a key derived
    from the cell key, in whole FTE, never below 0, one decimal; 0 stays 0. Scaling FTE
    with the perturbed headcount instead would publish FTE per head exactly, which ties
    the true counts of a breakdown and its total together (sum of FTE per head times
    count is the total's FTE) and would let them be solved for. -#}
{% macro sdc_fte(fte, cell_key) -%}
    case
        when {{ fte }} is null then null
        when {{ fte }} = 0 then {{ round_to(fte, 1) }}
        else {{ round_to(
            'greatest(0, ' ~ fte ~ ' + ' ~ sdc_noise(sdc_derived_key(cell_key, 'fte')) ~ ')', 1) }}
    end
{%- endmacro %}

{#- A ratio of two published (perturbed) counts, to `digits` places; NULL when the
    denominator is 0 or unknown. -#}
{% macro sdc_ratio(numerator, denominator, digits=3) -%}
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else {{ round_to(
            'cast(' ~ numerator ~ ' as ' ~ type_double() ~ ') / ' ~ denominator, digits) }}
    end
{%- endmacro %}

{#- The published measures of a breakdown row (`measures`, a marts breakdown) given its
    cell (`cells`, from int_disclosure_cells): perturbed headcount and FTE, the share of
    the breakdown's published total. -#}
{% macro sdc_breakdown_measures(measures, cells) -%}
    {{ cells }}.published_value as headcount,
    {{ sdc_fte(measures ~ '.fte', cells ~ '.cell_key') }} as fte,
    {{ sdc_ratio(cells ~ '.published_value', cells ~ '.published_total', 6) }} as headcount_share
{%- endmacro %}

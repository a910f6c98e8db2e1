{#- Disclosure control checked on the data, for every integer column of a published
    table except the standard's exempt ones (which count no people): below national level
    no value is from 1 to sdc_largest_suppressed() or off the sdc_rounding_base() grid.
    A table without geography_level is below national level throughout (per trust).
    Columns are read from the built table, so a count added later is checked too. -#}
{% test no_small_counts(model) %}
    {%- set columns = adapter.get_columns_in_relation(model) if execute else [] -%}
    {%- set names = columns | map(attribute='name') | map('lower') | list -%}
    {%- set counts = [] -%}
    {%- for column in columns -%}
        {%- if column.is_integer() and column.name | lower not in sdc_exempt_columns() -%}
            {%- do counts.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name in counts %}
        select
            '{{ name }}' as published_column,
            {{ name }} as value
        from {{ model }}
        where
            {% if 'geography_level' in names %}geography_level != 'national' and {% endif %}
            (
                {{ name }} between 1 and {{ sdc_largest_suppressed() }}
                or {{ name }} % {{ sdc_rounding_base() }} != 0
            )
        {% if not loop.last %}union all{% endif %}
    {%- else %}
        select
            null as published_column,
            null as value
        where false
    {%- endfor %}
{% endtest %}

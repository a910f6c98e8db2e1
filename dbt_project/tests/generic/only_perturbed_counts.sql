{#- Every integer column of a published table is a count the mechanism perturbs
    (sdc_perturbed_columns()) or exempt because it counts no people (sdc_exempt_columns()),
    both from `disclosure` in the standard: a count added later without either fails here
    (and at the publish guard) until someone decides which it is. Columns are read from
    the built table, so nothing slips past by its description. -#}
{% test only_perturbed_counts(model) %}
    {%- set columns = adapter.get_columns_in_relation(model) if execute else [] -%}
    {%- set known = sdc_perturbed_columns() + sdc_exempt_columns() -%}
    {%- set unknown = [] -%}
    {%- for column in columns -%}
        {%- if column.is_integer() and column.name | lower not in known -%}
            {%- do unknown.append(column.name | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name in unknown %}
        select '{{ name }}' as unknown_count_column
        {% if not loop.last %}union all{% endif %}
    {%- else %}
        select cast(null as {{ type_text() }}) as unknown_count_column where false
    {%- endfor %}
{% endtest %}

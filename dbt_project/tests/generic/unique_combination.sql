{#- The grain of a model: no two rows share these columns, and none of them is null in any
    row (one test for the whole key, rather than a not_null test per column: each dbt test
    is a node with a fixed cost at every build). -#}
{% test unique_combination(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as rows_with_this_key
    from {{ model }}
    group by {{ columns | join(', ') }}
    having
        count(*) > 1
        {%- for column in columns %}
            or {{ column }} is null
        {%- endfor %}
{% endtest %}

{#- A platform source, or an empty relation of the same columns when nothing has landed
    yet: DuckDB's read_parquet and read_json fail on a glob that matches no file, and a
    platform with no accepted return must still build (empty) marts. -#}
{% macro external_source(source_name, table_name) -%}
    {{ return(adapter.dispatch('external_source', 'psw')(source_name, table_name)) }}
{%- endmacro %}

{#- Other warehouses read tables psw.warehouse_load makes from the lake before each
    build (always, empty when nothing has landed). -#}
{% macro default__external_source(source_name, table_name) -%}
    {{ source(source_name, table_name) }}
{%- endmacro %}

{% macro duckdb__external_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ relation }}
    {%- else -%}
        {%- set node = graph.sources.values()
            | selectattr('source_name', 'equalto', source_name)
            | selectattr('name', 'equalto', table_name)
            | first -%}
        {%- set found = run_query(
            "select count(*) from glob('" ~ node.meta.psw_glob ~ "')"
        ).columns[0].values()[0] -%}
        {%- if found > 0 -%}
            {{ relation }}
        {%- else -%}
            (
                select
                {%- for column in node.columns.values() %}
                    cast(null as {{ column.data_type }}) as {{ column.name }}
                    {%- if not loop.last %},{% endif %}
                {%- endfor %}
                where false
            )
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

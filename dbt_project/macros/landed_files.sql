{#- The landed Parquet files that exist now (one per accepted submission, named
    <submission id>.parquet), from the same glob as the `return_rows` source. -#}
{% macro landed_files() -%}
    {{ return(adapter.dispatch('landed_files', 'psw')()) }}
{%- endmacro %}

{#- Other warehouses: the list psw.warehouse_load makes from the lake before each build. -#}
{% macro default__landed_files() -%}
    select file_name from platform.landed_files
{%- endmacro %}

{% macro duckdb__landed_files() -%}
    {%- if execute -%}
        {%- set node = graph.sources.values()
            | selectattr('source_name', 'equalto', 'platform')
            | selectattr('name', 'equalto', 'return_rows')
            | first -%}
        select regexp_extract(file, '[^/]+$') as file_name from glob('{{ node.meta.psw_glob }}')
    {%- else -%}
        select null as file_name
    {%- endif -%}
{%- endmacro %}

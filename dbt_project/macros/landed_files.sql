{#- The landed Parquet files that exist now (one per accepted submission, named
    <submission id>.parquet), from the same glob as the `return_rows` source. -#}
{% macro landed_files() -%}
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

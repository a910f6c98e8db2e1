{#- Schemas are named exactly as configured (marts, published, ...), not prefixed with the
    target schema: docs/interfaces.md fixes `marts` and `published`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name is not none else target.schema }}
{%- endmacro %}

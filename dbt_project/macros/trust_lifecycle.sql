{% macro trust_is_open(trusts, period_end) -%}
    {#- Whether a registry row expects a return for the month ending period_end: between
        its valid_from (first day of its first month) and valid_to (last day of its last
        month), either end open when empty. -#}
    ({{ trusts }}.valid_from is null or {{ period_end }} >= {{ trusts }}.valid_from)
    and ({{ trusts }}.valid_to is null or {{ period_end }} <= {{ trusts }}.valid_to)
{%- endmacro %}

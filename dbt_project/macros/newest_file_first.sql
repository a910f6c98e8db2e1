{#- Order of a trust-month's files, newest first: the store's receipt time, then the
    platform's processing time (S3 times have whole seconds), then the id for a stable tie. -#}
{% macro newest_file_first() -%}
    submitted_at desc, processed_at desc nulls last, submission_id desc
{%- endmacro %}

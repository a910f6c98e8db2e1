{{ config(meta={'dagster': {'ref': {'name': 'pub_psw_headcount'}}}) }}
-- No published count below national level is between 1 and 7, and every one shown is 0
-- or a multiple of 5.
{% set counts = [
    ('pub_psw_headcount', 'headcount'),
    ('pub_psw_headcount', 'joiners'),
    ('pub_psw_headcount', 'leavers'),
    ('pub_psw_pay_bands', 'headcount'),
    ('pub_psw_role_diversity', 'headcount'),
] %}
{% for model, column in counts %}
    select
        '{{ model }}.{{ column }}' as published_count,
        geography_code,
        period_end,
        {{ column }} as value
    from {{ ref(model) }}
    where
        geography_level != 'national'
        and ({{ column }} between 1 and 7 or {{ column }} % 5 != 0)
    {% if not loop.last %}union all{% endif %}
{% endfor %}

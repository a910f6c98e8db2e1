{#- What differs between the warehouses the project builds on (PSW_WAREHOUSE: duckdb,
    postgres, spark), written once each. Models use these instead of engine-specific SQL
    so the same models give the same marts everywhere (tests/test_marts_end_to_end.py
    on PostgreSQL, tests/test_spark.py on Spark). dbt's own cross-database macros
    (dbt.type_string, dbt.dateadd...) are used where they exist; these are the few it
    lacks or gets wrong for us. -#}

{#- A 64-bit float: `double` in DuckDB and Spark, `double precision` in PostgreSQL
    (dbt.type_float() is a 32-bit float on Spark). -#}
{% macro type_double() -%}{{ return(adapter.dispatch('type_double', 'psw')()) }}{%- endmacro %}
{% macro default__type_double() -%}double precision{%- endmacro %}
{% macro duckdb__type_double() -%}double{%- endmacro %}
{% macro spark__type_double() -%}double{%- endmacro %}

{#- A text column: varchar, or Spark's string (Spark takes varchar only with a length). -#}
{% macro type_text() -%}{{ return(adapter.dispatch('type_text', 'psw')()) }}{%- endmacro %}
{% macro default__type_text() -%}varchar{%- endmacro %}
{% macro spark__type_text() -%}string{%- endmacro %}

{#- An instant (the ledger's received and processed times, UTC). -#}
{% macro type_instant() -%}{{ return(adapter.dispatch('type_instant', 'psw')()) }}{%- endmacro %}
{% macro default__type_instant() -%}timestamptz{%- endmacro %}
{% macro spark__type_instant() -%}timestamp{%- endmacro %}

{#- The last day of the month of a date, as a date. -#}
{% macro month_end(day) -%}{{ return(adapter.dispatch('month_end', 'psw')(day)) }}{%- endmacro %}
{% macro default__month_end(day) -%}last_day({{ day }}){%- endmacro %}
{% macro postgres__month_end(day) -%}
    cast(date_trunc('month', {{ day }}) + interval '1 month' - interval '1 day' as date)
{%- endmacro %}

{#- The date n days after a date (n may be negative), as a date. -#}
{% macro add_days(day, n) -%}{{ return(adapter.dispatch('add_days', 'psw')(day, n)) }}{%- endmacro %}
{% macro default__add_days(day, n) -%}cast({{ day }} + {{ n }} as date){%- endmacro %}
{% macro spark__add_days(day, n) -%}date_add({{ day }}, {{ n }}){%- endmacro %}

{#- Seconds since 1970 of an instant (compares instants whatever their time zone). -#}
{% macro epoch_seconds(instant) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'psw')(instant)) }}
{%- endmacro %}
{% macro default__epoch_seconds(instant) -%}extract(epoch from {{ instant }}){%- endmacro %}
{% macro spark__epoch_seconds(instant) -%}unix_timestamp({{ instant }}){%- endmacro %}

{#- A float rounded to n decimal places, half away from zero, as a float: PostgreSQL
    rounds only numerics that way (round(double precision) rounds half to even and takes
    no places). -#}
{% macro round_to(value, places) -%}
    {{ return(adapter.dispatch('round_to', 'psw')(value, places)) }}
{%- endmacro %}
{% macro default__round_to(value, places) -%}round({{ value }}, {{ places }}){%- endmacro %}
{% macro postgres__round_to(value, places) -%}
    cast(round(cast({{ value }} as numeric), {{ places }}) as double precision)
{%- endmacro %}

{#- The first day of every month from the month of `first_day` to the month of
    `last_day`, as a column `month_start` of a relation with one row per month; `bounds`
    is a relation with those two columns (no rows when they are null). -#}
{% macro month_starts(bounds, first_day, last_day) -%}
    {{ return(adapter.dispatch('month_starts', 'psw')(bounds, first_day, last_day)) }}
{%- endmacro %}
{% macro duckdb__month_starts(bounds, first_day, last_day) -%}
    select
        cast(unnest(generate_series(
            date_trunc('month', {{ first_day }}),
            date_trunc('month', {{ last_day }}),
            interval 1 month
        )) as date) as month_start
    from {{ bounds }}
    where {{ first_day }} is not null
{%- endmacro %}
{% macro postgres__month_starts(bounds, first_day, last_day) -%}
    select cast(month_start as date) as month_start
    from {{ bounds }},
        generate_series(
            date_trunc('month', {{ first_day }}),
            date_trunc('month', {{ last_day }}),
            interval '1 month'
        ) as month_start
    where {{ first_day }} is not null
{%- endmacro %}
{% macro spark__month_starts(bounds, first_day, last_day) -%}
    select explode(sequence(
        trunc({{ first_day }}, 'MM'), trunc({{ last_day }}, 'MM'), interval 1 month
    )) as month_start
    from {{ bounds }}
    where {{ first_day }} is not null
{%- endmacro %}

{#- The trust registry's rows with all seven columns: PSW_TRUST_REGISTRY when set,
    otherwise the seed `trusts`. The lifecycle columns are optional in the CSV
    (docs/interfaces.md): a registry without them has every trust open in every month.
    DuckDB reads the CSV itself; the other warehouses cannot read a local file, so
    psw.warehouse_load copies it to platform.trust_registry before each build. -#}
{% macro trust_registry() -%}{{ return(adapter.dispatch('trust_registry', 'psw')()) }}{%- endmacro %}
{% macro duckdb__trust_registry() -%}
    {%- if env_var('PSW_TRUST_REGISTRY', '') -%}
        select * from (
            select
                cast(null as varchar) as valid_from,
                cast(null as varchar) as valid_to,
                cast(null as varchar) as successor_ods_code
            where false
        )
        union all by name
        select * from read_csv('{{ env_var("PSW_TRUST_REGISTRY") }}', header = true, all_varchar = true)
    {%- else -%}
        select * from {{ ref('trusts') }}
    {%- endif -%}
{%- endmacro %}
{% macro default__trust_registry() -%}
    {%- if env_var('PSW_TRUST_REGISTRY', '') -%}
        select * from platform.trust_registry
    {%- else -%}
        select * from {{ ref('trusts') }}
    {%- endif -%}
{%- endmacro %}

{#- Spark: schema `platform` as external tables over the Parquet files psw.warehouse.engines
    writes before each build (on-run-start, dbt_project.yml); nothing on the others. -#}
{% macro spark_lake_tables() -%}
    {%- if target.type == 'spark' and execute -%}
        {%- set folder = env_var('PSW_DATA_DIR', '../data') ~ '/spark/lake' -%}
        {%- do run_query('create schema if not exists platform') -%}
        {%- for name in ['return_rows', 'submissions', 'landed_files', 'trust_registry'] -%}
            {%- do run_query('drop table if exists platform.' ~ name) -%}
            {%- if name != 'trust_registry' or env_var('PSW_TRUST_REGISTRY', '') -%}
                {%- do run_query(
                    'create table platform.' ~ name ~ " using parquet location '"
                    ~ folder ~ '/' ~ name ~ "'"
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- Spark: after a build, the marts and published tables as Parquet folders under
    $PSW_DATA_DIR/spark/export/<schema>/<table>, which psw copies into the serving
    DuckDB file (psw.warehouse.engines.copy_published) without starting a second Spark. -#}
{% macro spark_export_tables() -%}
    {%- if target.type == 'spark' and execute -%}
        {%- set folder = env_var('PSW_DATA_DIR', '../data') ~ '/spark/export' -%}
        {%- for schema in ['marts', 'published'] -%}
            {%- for row in run_query('show tables in ' ~ schema) -%}
                {%- do run_query(
                    "insert overwrite directory '" ~ folder ~ '/' ~ schema ~ '/' ~ row[1]
                    ~ "' using parquet select * from " ~ schema ~ '.' ~ row[1]
                ) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- A 32-bit whole number from the first 8 hex digits of the MD5 of a text (a record
    key, for disclosure control), the same on every warehouse. -#}
{% macro md5_bits32(text) -%}{{ return(adapter.dispatch('md5_bits32', 'psw')(text)) }}{%- endmacro %}
{% macro duckdb__md5_bits32(text) -%}
    cast('0x' || substr(md5({{ text }}), 1, 8) as bigint)
{%- endmacro %}
{% macro postgres__md5_bits32(text) -%}
    cast(cast('x' || lpad(substr(md5({{ text }}), 1, 8), 16, '0') as bit(64)) as bigint)
{%- endmacro %}
{% macro spark__md5_bits32(text) -%}
    cast(conv(substr(md5({{ text }}), 1, 8), 16, 10) as bigint)
{%- endmacro %}

{#- A continuous quantile of a group's values (linear interpolation between the two
    nearest, as DuckDB's quantile_cont): the pay quartiles of docs/measures.md on every engine. -#}
{% macro quantile_cont(value, q) -%}
    {{ return(adapter.dispatch('quantile_cont', 'psw')(value, q)) }}
{%- endmacro %}
{% macro duckdb__quantile_cont(value, q) -%}quantile_cont({{ value }}, {{ q }}){%- endmacro %}
{% macro postgres__quantile_cont(value, q) -%}
    percentile_cont({{ q }}) within group (order by {{ value }})
{%- endmacro %}
{% macro spark__quantile_cont(value, q) -%}percentile({{ value }}, {{ q }}){%- endmacro %}

{#- A month's number (year * 12 + month): months apart by subtraction, on every engine. -#}
{% macro month_index(day) -%}
    (cast(extract(year from {{ day }}) as integer) * 12 + cast(extract(month from {{ day }}) as integer))
{%- endmacro %}

{#- Issue 21: the person-level models grow with the month's uploads, not with the history.
    Their rows belong to one submission in force each (submission_id), so a build keeps
    the rows of submissions still in force, deletes those of submissions no longer in
    force (replaced by a correction, or a nil return: `drop_replaced_submissions`, a
    pre-hook), and adds those of submissions newly in force (`new_in_force`), reading only
    their landed files. A late correction of any month is one more submission in force:
    no lookback window is needed, and nothing older is read again.

    The whole table is built when the project's code changed since the last successful
    build (psw passes --full-refresh: psw/warehouse/writer.py) and on Spark, whose tables are
    plain Parquet without DELETE. -#}

{% macro in_force_materialization() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}

{#- The pre-hook: rows of submissions that are no longer in force go. -#}
{% macro drop_replaced_submissions() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where submission_id not in (
            select submission_id from {{ ref('int_submissions_in_force') }}
        )
    {%- endif -%}
{%- endmacro %}

{#- A filter on `column` for the submissions in force not yet in this table, as literals
    so the lake's reader skips every other file by its statistics; true on a full build. -#}
{% macro new_in_force(column='submission_id') -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {%- set wanted -%}
        select submission_id from {{ ref('int_submissions_in_force') }}
        except
        select submission_id from {{ this }}
    {%- endset -%}
    {%- set ids = run_query(wanted).columns[0].values() -%}
    {%- if ids | length == 0 -%}
        {{ return('1 = 0') }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for id in ids | sort -%}
        {%- do quoted.append("'" ~ (id | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {{ return(column ~ ' in (' ~ quoted | join(', ') ~ ')') }}
{%- endmacro %}

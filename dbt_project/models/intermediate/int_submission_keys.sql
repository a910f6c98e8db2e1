-- The disclosure-control key of each landed return: the sum of its rows' record keys
-- (a row's key from its person's pseudonym and its row number), from which the keys of
-- the return's other counts are derived (macros/disclosure_control.sql). A return with no
-- landed rows (rejected, nil) has none.
with return_rows as (
    select * from {{ ref('stg_platform__return_rows') }}
)

select
    submission_id,
    {{ sdc_cell_key(
        'sum(' ~ sdc_record_key("staff_key || ':' || cast(source_row as " ~ type_text() ~ ")") ~ ')'
    ) }} as rows_key
from return_rows
group by submission_id

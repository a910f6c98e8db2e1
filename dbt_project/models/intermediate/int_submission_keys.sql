-- The disclosure-control key of each return in force with landed rows: the sum of its
-- rows' record keys (a row's key from its person's pseudonym and its row number), from
-- which the keys of the return's other counts are derived (macros/disclosure_control.sql).
-- A return with no landed rows (rejected, nil) has none, and only the file in force of a
-- month is ever shown, so the rows in force are all it needs.
with return_rows as (
    select * from {{ ref('int_assignments_in_force') }}
)

select
    submission_id,
    {{ sdc_cell_key(
        'sum(' ~ sdc_record_key("staff_key || ':' || cast(source_row as " ~ type_text() ~ ")") ~ ')'
    ) }} as rows_key
from return_rows
group by submission_id

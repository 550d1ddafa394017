-- The « Soumissions » sheet of the consolidated workbooks: mart_submissions with the labels
-- shown (status as submission_statuses words it, expected as Oui or Non), by association name.
with

submissions as (
    select * from {{ ref('mart_submissions') }}
),

statuses as (
    select * from {{ ref('submission_statuses') }}
),

yes_no as (
    select * from {{ ref('ref_list_values') }}
    where list_code = 'yes_no'
)

select
    submissions.*,
    expected_labels.label_fr as expected_label,
    statuses.label_fr as status_label_fr,
    row_number() over (
        partition by submissions.period
        order by
            coalesce(submissions.association_name, submissions.association_code),
            submissions.association_code
    )::integer as row_order
from submissions
inner join statuses
    on statuses.status_code = submissions.status
left join yes_no as expected_labels
    on expected_labels.value_code = case when submissions.expected then 'yes' else 'no' end

-- Resources are declared for the calendar year to date: for a period P, an association's
-- resources are the rows of its latest accepted file of P's year up to P (the whole file
-- wins, even when its Ressources tab is empty).
with

reports as (
    select * from {{ ref('int_reports_accepted') }}
),

resources as (
    select * from {{ ref('int_resources_coded') }}
),

latest_files as (
    select
        reports.period,
        reports.association_code,
        max(files.period) as file_period
    from reports
    inner join reports as files
        on files.association_code = reports.association_code
        and year(files.period) = year(reports.period)
        and files.period <= reports.period
    group by all
)

select
    latest_files.period,
    latest_files.association_code,
    latest_files.file_period,
    resources.excel_row,
    resources.category_code,
    resources.detail,
    resources.amount
from latest_files
inner join resources
    on resources.period = latest_files.file_period
    and resources.association_code = latest_files.association_code

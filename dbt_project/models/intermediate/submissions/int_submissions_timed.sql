-- When each (period, association) file was first received, and whether that was on time: by
-- the end of the deadline_day-th day of the next month (ase_impact/core/deadlines.py states
-- the rule and its setting, ASE_IMPACT_DEADLINE_DAY, which the pipeline passes to dbt). A
-- later correction does not make a file late; a first file refused as a whole still came.
with

submissions as (
    select * from {{ ref('stg_quality__submissions') }}
),

first_received as (
    select
        period,
        association_code,
        min(received_at) as first_received_at
    from submissions
    group by period, association_code
)

select
    period,
    association_code,
    first_received_at,
    {{ due_date('period') }} as due_date,
    {{ is_on_time('period', 'first_received_at') }} as is_on_time
from first_received

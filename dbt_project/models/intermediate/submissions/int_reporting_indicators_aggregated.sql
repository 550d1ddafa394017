-- Reporting rates of each window: of the files the registry expects (one per association and
-- month of the reporting calendar, int_associations_expected), the share received and the
-- share received on time (int_submissions_timed). They describe the associations' reporting,
-- not people: no cell count, no disclosure control. A window without an expected file has no
-- rate (NULL).
with

expected as (
    select * from {{ ref('int_associations_expected') }}
),

timed as (
    select * from {{ ref('int_submissions_timed') }}
),

windows as (
    select * from {{ ref('int_period_windows') }}
),

partitions as (
    select
        expected.period as month,
        expected.association_code,
        timed.association_code is not null as is_received,
        coalesce(timed.is_on_time, false) as is_on_time
    from expected
    left join timed
        on timed.period = expected.period
        and timed.association_code = expected.association_code
),

counted as (
    select
        windows.period_grain,
        windows.period,
        scopes.scope,
        {{ scope_association_code('partitions.association_code') }} as association_code,
        'total' as breakdown,
        null::varchar as breakdown_value,
        count(*) as files_expected,
        count(*) filter (where partitions.is_received) as files_received,
        count(*) filter (where partitions.is_on_time) as files_on_time
    from partitions
    inner join windows
        on partitions.month between windows.window_start and windows.window_end
    {{ cross_join_scopes() }}
    group by
        windows.period_grain,
        windows.period,
        scopes.scope,
        {{ scope_association_code('partitions.association_code') }}
)

select {{ indicator_columns(
    'files_received_rate', percent('files_received', 'files_expected'), 'all',
    numerator='files_received', denominator='files_expected'
) }}
from counted
union all
select {{ indicator_columns(
    'files_on_time_rate', percent('files_on_time', 'files_expected'), 'all',
    numerator='files_on_time', denominator='files_expected'
) }}
from counted

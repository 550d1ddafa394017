-- What the incremental models read, as one digest per calendar month
-- (docs/performance.md#incremental-builds): the month's files in force (one per association,
-- named by its SHA-256), the end-of-mentoring questionnaires answered in the month (whichever
-- later file holds them: the tab is cumulative), and what every window reads whatever its
-- months: the project's code and seeds, which pairs have an end questionnaire and which
-- associations count as mentoring ones. A change to the latter changes every month.
with

months as (
    select period as month
    from {{ ref('int_period_windows') }}
    where period_grain = 'month'
),

files as (
    select distinct
        period,
        association_code || '/' || file_sha256 as file_key
    from {{ ref('stg_reporting__pairs') }}
),

month_files as (
    select period, string_agg(file_key, ',' order by file_key) as file_keys
    from files
    group by period
),

-- Each questionnaire as its indicators read it: answers, youth and month answered. By
-- content, not by its file's SHA-256: the cumulative tab repeats every earlier questionnaire
-- in each later file, so a correction would change every month answered before it.
month_questionnaires as (
    select
        answered_period as period,
        string_agg(
            association_code || '/' || pair_id || '/' || coalesce(youth_key, '')
            {%- for question in end_questionnaire_fields() %}
            || '/' || {{ question }}_code
            {%- endfor %},
            ',' order by association_code, pair_id
        ) as questionnaires
    from {{ ref('int_end_questionnaires_deduplicated') }}
    group by answered_period
),

questionnaire_pairs as (
    select distinct association_code || '/' || pair_id as pair_key
    from {{ ref('int_end_questionnaires_deduplicated') }}
),

mentoring as (
    select association_code
    from {{ ref('int_indicator_populations') }}
    where population_code = 'mentoring'
),

every_month as (
    select md5(
        -- The project's files and the variables: new SQL rebuilds every window, and new
        -- columns reach the tables (on_schema_change: sync_all_columns).
        '{{ var("sources_fingerprint") }}|{{ var("min_cell") }}|{{ var("deadline_day") }}'
        || '|' || coalesce((
            select string_agg(pair_key, ',' order by pair_key) from questionnaire_pairs
        ), '')
        || '|' || coalesce((
            select string_agg(association_code, ',' order by association_code) from mentoring
        ), '')
    ) as digest
)

select
    months.month,
    md5(
        every_month.digest
        || '|' || coalesce(month_files.file_keys, '')
        || '|' || coalesce(month_questionnaires.questionnaires, '')
    ) as inputs_digest
from months
cross join every_month
left join month_files
    on month_files.period = months.month
left join month_questionnaires
    on month_questionnaires.period = months.month

-- One row per (period, association) whose data is in force: a version in force (an accepted
-- file; a file refused as a whole leaves the previous accepted version in force) or rows
-- present in raw.
with

latest_submissions as (
    select * from {{ ref('stg_quality__latest_submissions') }}
),

{%- set reporting_models = [
    'stg_reporting__pairs',
    'stg_reporting__end_questionnaires',
    'stg_reporting__mispe_questionnaires',
    'stg_reporting__resources',
    'stg_reporting__activities',
] %}

reports as (
    select period, association_code
    from latest_submissions
    where version_in_force is not null
    {%- for model in reporting_models %}
    union
    select period, association_code
    from {{ ref(model) }}
    {%- endfor %}
)

select
    period,
    {{ last_day_of('period') }} as period_end,
    association_code
from reports

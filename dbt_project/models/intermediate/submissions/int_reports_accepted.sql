-- One row per (period, association) whose data is in force: an accepted file (a file refused
-- as a whole leaves the previous accepted version in force) or rows present in raw.
with

submissions as (
    select * from {{ ref('stg_quality__submissions') }}
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
    from submissions
    where is_accepted
    {%- for model in reporting_models %}
    union
    select period, association_code
    from {{ ref(model) }}
    {%- endfor %}
)

select
    period,
    last_day(period) as period_end,
    association_code
from reports

-- The association registry, plus any association that sent a file without being registered.
with

registry as (
    select * from {{ source('raw', 'associations') }}
),

territories as (
    select * from {{ ref('territories') }}
),

submissions as (
    select * from {{ ref('stg_quality__submissions') }}
),

received as (
    select
        association_code,
        arg_max(association_name, received_at) as association_name,
        min(period) as first_period_received,
        max(period) as last_period_received
    from submissions
    group by all
)

select
    coalesce(registry.association_code, received.association_code) as association_code,
    coalesce(registry.association_name, received.association_name) as association_name,
    registry.territory_code,
    territories.label_fr as territory_label_fr,
    registry.expected_from,
    registry.expected_until,
    registry.does_mentoring,
    registry.does_residential_care,
    registry.association_code is not null as is_registered,
    received.first_period_received,
    received.last_period_received
from registry
full outer join received
    on received.association_code = registry.association_code
left join territories
    on territories.territory_code = registry.territory_code
order by 1

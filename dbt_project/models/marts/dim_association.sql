-- The association registry, plus any association that sent a file without being registered.
with

registered as (
    select * from {{ ref('int_associations_registered') }}
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
        {{ arg_max_of('association_name', 'received_at') }} as association_name,
        min(period) as first_period_received,
        max(period) as last_period_received
    from submissions
    group by association_code
)

select
    coalesce(registered.association_code, received.association_code) as association_code,
    coalesce(registered.association_name, received.association_name) as association_name,
    registered.territory_code,
    territories.label_fr as territory_label_fr,
    registered.expected_from,
    registered.expected_until,
    registered.does_mentoring,
    registered.does_residential_care,
    registered.association_code is not null as is_registered,
    received.first_period_received,
    received.last_period_received,
    registered.first_expected_period,
    registered.last_expected_period
from registered
full outer join received
    on received.association_code = registered.association_code
left join territories
    on territories.territory_code = registered.territory_code
order by 1

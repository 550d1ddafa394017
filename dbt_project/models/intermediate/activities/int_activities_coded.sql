-- Each activity of the month as received, with its type's code and the indicator that counts
-- it; the title case-folded and trimmed (distinct structures are counted on it).
with

activities as (
    select * from {{ ref('stg_reporting__activities') }}
),

coded as (
    select
        activities.period,
        activities.association_code,
        activities.file_sha256,
        activities.excel_row,
        activities.activity_date,
        activities.activity_type,
        activity_types.value_code as activity_type_code,
        -- The seed's category of an activity type is the indicator that counts it.
        activity_types.category_code as indicator_code,
        activities.title,
        lower(trim(activities.title)) as title_key,
        activities.participants,
        activities.has_alerts
    from activities
    {{ join_list_value('activity_type', 'activities.activity_type', 'activity_types') }}
)

select * from coded

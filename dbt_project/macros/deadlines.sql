{#-
    The last day a month's file is on time: the deadline_day-th day of the next month. The
    rule and its setting (ASE_IMPACT_DEADLINE_DAY, default 10) are ase_impact/core/deadlines.py's;
    the pipeline passes the setting to dbt as the var deadline_day.
-#}
{% macro due_date(period) -%}
    ({{ period }} + interval '1 month' + interval '{{ (var('deadline_day') | int) - 1 }} day')::date
{%- endmacro %}

{#- Whether a file received at received_at was on time for period: by the end of its due date. -#}
{% macro is_on_time(period, received_at) -%}
    ({{ received_at }} < {{ due_date(period) }} + interval '1 day')
{%- endmacro %}

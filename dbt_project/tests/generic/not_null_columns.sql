{#- No row has a NULL in any of `columns`; each failing row names the NULL ones (null_columns).
    For a model with several such columns, one test instead of dbt's not_null per column: each
    dbt test is a node of every build and an asset check in Dagster (docs/performance.md). -#}
{% test not_null_columns(model, columns) %}

select
    concat_ws(', '
        {%- for column in columns %}, case when {{ column }} is null then '{{ column }}' end{% endfor %}
    ) as null_columns
from {{ model }}
where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}

{% endtest %}

{#-
    Builds incremental by window (docs/performance.md#incremental-builds). A month is changed
    when the digest of its inputs (int_month_inputs) differs from the one recorded by the last
    build that completed the incremental models (int_months_built, built after them). A window
    (period_grain, period) is rebuilt when it covers a changed month or is no longer in the
    calendar; the incremental models delete the rows of the rebuilt windows (pre-hook), then
    append them recomputed. Without a recorded build, every window is rebuilt.
-#}

{% macro months_built_relation() -%}
    {{ return(adapter.get_relation(
        database=this.database, schema=this.schema, identifier='int_months_built'
    )) }}
{%- endmacro %}

{% macro changed_months() -%}
    {%- set built = months_built_relation() -%}
    select current_inputs.month
    from {{ ref('int_month_inputs') }} as current_inputs
    {%- if built is not none %}
    left join {{ built }} as built
        on built.month = current_inputs.month
        and built.inputs_digest = current_inputs.inputs_digest
    where built.month is null
    union
    select built.month
    from {{ built }} as built
    left join {{ ref('int_month_inputs') }} as current_inputs
        on current_inputs.month = built.month
    where current_inputs.month is null
    {%- endif %}
{%- endmacro %}

{#- The windows of the calendar that cover no changed month: their rows are kept. -#}
{% macro unchanged_windows() -%}
    select windows.period_grain, windows.period
    from {{ ref('int_period_windows') }} as windows
    where not exists (
        select 1
        from ({{ changed_months() }}) as changed
        where changed.month between windows.window_start and windows.window_end
    )
{%- endmacro %}

{% macro is_window_rebuilt(alias) -%}
    not exists (
        select 1
        from ({{ unchanged_windows() }}) as unchanged
        where unchanged.period_grain = {{ alias }}.period_grain
            and unchanged.period = {{ alias }}.period
    )
{%- endmacro %}

{#- An incremental model's rows of `alias` restricted to the rebuilt windows. -#}
{% macro where_window_rebuilt(alias) -%}
    {%- if is_incremental() %}
    where {{ is_window_rebuilt(alias) }}
    {%- endif %}
{%- endmacro %}

{#- The pre-hook of the incremental models: their rebuilt windows' rows go. -#}
{% macro delete_rebuilt_windows() -%}
    {%- if is_incremental() %}
    delete from {{ this }} as built_rows
    where {{ is_window_rebuilt('built_rows') }}
    {%- endif %}
{%- endmacro %}

{#-
    A test of an incremental model checks, in a build, only the rows this build wrote: its
    `where` config is `__rebuilt_windows__`. The kept windows were checked by the build that
    wrote them, and the windows are disjoint by key. Outside a build (`dbt test`) every row
    is checked. dbt's default where-subquery otherwise.
-#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and '__rebuilt_windows__' in where -%}
        {%- set rebuilt = "dbt_invocation_id = '" ~ invocation_id ~ "'"
            if flags.WHICH == 'build' else 'true' -%}
        {%- set where = where | replace('__rebuilt_windows__', rebuilt) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

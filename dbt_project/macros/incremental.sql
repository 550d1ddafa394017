{#-
    Incremental builds (docs/performance.md#incremental-builds). An inputs model holds one
    digest per key of what an incremental model reads (int_month_inputs per calendar month,
    int_mispe_youth_inputs per youth); a built model, built after the incremental models,
    records the digests they were last built from (int_months_built, int_mispe_youth_built).
    A key is changed when its digest differs from the recorded one, or has no counterpart;
    without a record, every key is changed. The incremental models delete the rows of what
    changed (pre-hook), then append them recomputed:
    - by window (period_grain, period): a window is rebuilt when it covers a changed month or
      is no longer in the calendar;
    - by youth: a changed youth's rows are all rebuilt.
-#}

{#- A built model, found by name: the models it follows cannot ref it (a cycle). -#}
{% macro built_relation(built_model) -%}
    {{ return(adapter.get_relation(
        database=this.database, schema=this.schema, identifier=built_model
    )) }}
{%- endmacro %}

{% macro changed_keys(inputs_model, built_model, key) -%}
    {%- set built = built_relation(built_model) -%}
    select current_inputs.{{ key }}
    from {{ ref(inputs_model) }} as current_inputs
    {%- if built is not none %}
    left join {{ built }} as built
        on built.{{ key }} = current_inputs.{{ key }}
        and built.inputs_digest = current_inputs.inputs_digest
    where built.{{ key }} is null
    union
    select built.{{ key }}
    from {{ built }} as built
    left join {{ ref(inputs_model) }} as current_inputs
        on current_inputs.{{ key }} = built.{{ key }}
    where current_inputs.{{ key }} is null
    {%- endif %}
{%- endmacro %}

{% macro changed_months() -%}
    {{ changed_keys('int_month_inputs', 'int_months_built', 'month') }}
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

{#- The rows of the changed youth (inputs: int_mispe_youth_inputs), in an incremental build. -#}
{% macro where_youth_changed(alias) -%}
    {%- if is_incremental() %}
    where {{ alias }}.youth_key in (
        {{ changed_keys('int_mispe_youth_inputs', 'int_mispe_youth_built', 'youth_key') }}
    )
    {%- endif %}
{%- endmacro %}

{#- The pre-hook of the models incremental by youth: the changed youth's rows go. -#}
{% macro delete_changed_youth() -%}
    {%- if is_incremental() %}
    delete from {{ this }} as built_rows
    {{ where_youth_changed('built_rows') }}
    {%- endif %}
{%- endmacro %}

{#-
    A test of an incremental model checks, in a build, only the rows this build wrote: its
    `where` config is `__rebuilt_rows__`. The kept rows were checked by the build that wrote
    them, and the rebuilt ones are disjoint from them by key (window, youth). Outside a build
    (`dbt test`) every row is checked. dbt's default where-subquery otherwise.
-#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and '__rebuilt_rows__' in where -%}
        {%- set rebuilt = "dbt_invocation_id = '" ~ invocation_id ~ "'"
            if flags.WHICH == 'build' else 'true' -%}
        {%- set where = where | replace('__rebuilt_rows__', rebuilt) -%}
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

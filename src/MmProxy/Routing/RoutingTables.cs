namespace MmProxy.Routing;

/// <summary>
/// Installs and removes a <see cref="RoutingRecipe"/> idempotently: each step is listed first and
/// added only when missing; removal deletes every copy present (duplicates included) and leaves
/// anything else in the table alone. Returns one line per step and whether all went well.
/// </summary>
internal sealed class RoutingTables
{
    // Each copy of a rule needs its own `ip rule del`; more than this means something else re-adds it.
    private const int MaxDeletesPerStep = 16;

    private readonly IpCommand _ip;

    public RoutingTables(IpCommand ip)
    {
        ArgumentNullException.ThrowIfNull(ip);
        _ip = ip;
    }

    public async Task<bool> ApplyAsync(RoutingRecipe recipe, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(output);
        bool ok = true;
        foreach (RoutingStep step in recipe.Steps)
        {
            IpCommandResult listing = await ListAsync(step, cancellationToken).ConfigureAwait(false);
            if (!listing.Succeeded)
            {
                await output.WriteLineAsync($"FAILED  {step.AddCommand}: cannot list: {listing.FirstErrorLine}").ConfigureAwait(false);
                ok = false;
                continue;
            }

            if (step.CountIn(listing.StdOut) > 0)
            {
                await output.WriteLineAsync($"present {step.AddCommand}").ConfigureAwait(false);
                continue;
            }

            IpCommandResult added = await _ip.RunAsync(step.AddArguments, cancellationToken).ConfigureAwait(false);
            if (added.Succeeded)
            {
                await output.WriteLineAsync($"added   {step.AddCommand}").ConfigureAwait(false);
            }
            else
            {
                await output.WriteLineAsync($"FAILED  {step.AddCommand}: {added.FirstErrorLine}").ConfigureAwait(false);
                ok = false;
            }
        }

        return ok;
    }

    public async Task<bool> RemoveAsync(RoutingRecipe recipe, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(output);
        bool ok = true;
        for (int i = recipe.Steps.Count - 1; i >= 0; i--)
        {
            RoutingStep step = recipe.Steps[i];
            int removed = 0;
            string? failure = null;
            for (int attempt = 0; attempt < MaxDeletesPerStep; attempt++)
            {
                IpCommandResult listing = await ListAsync(step, cancellationToken).ConfigureAwait(false);
                if (!listing.Succeeded)
                {
                    failure = "cannot list: " + listing.FirstErrorLine;
                    break;
                }

                if (step.CountIn(listing.StdOut) == 0)
                {
                    break;
                }

                IpCommandResult deleted = await _ip.RunAsync(step.DeleteArguments, cancellationToken).ConfigureAwait(false);
                if (!deleted.Succeeded)
                {
                    failure = deleted.FirstErrorLine;
                    break;
                }

                removed++;
            }

            if (failure is not null)
            {
                ok = false;
                await output.WriteLineAsync($"FAILED  {step.DeleteCommand}: {failure}").ConfigureAwait(false);
            }
            else
            {
                await output.WriteLineAsync(removed > 0 ? $"removed {step.DeleteCommand}" : $"absent  {step.DeleteCommand}").ConfigureAwait(false);
            }
        }

        return ok;
    }

    /// <summary>Lists the rules or routes of our table; a table that does not exist yet is empty.</summary>
    private async Task<IpCommandResult> ListAsync(RoutingStep step, CancellationToken cancellationToken)
    {
        IpCommandResult listing = await _ip.RunAsync(step.ShowArguments, cancellationToken).ConfigureAwait(false);
        return !listing.Succeeded && listing.StdErr.Contains("table does not exist", StringComparison.Ordinal)
            ? listing with { ExitCode = 0, StdOut = string.Empty }
            : listing;
    }

    /// <summary>The commands apply would run, as a shell script (for configuration management).</summary>
    public static async Task PrintAsync(RoutingRecipe recipe, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(output);
        await output.WriteLineAsync("# mmproxy policy routing: replies to spoofed client addresses return through loopback").ConfigureAwait(false);
        foreach (RoutingStep step in recipe.Steps)
        {
            await output.WriteLineAsync(step.AddCommand).ConfigureAwait(false);
        }

        await output.WriteLineAsync("# to remove:").ConfigureAwait(false);
        for (int i = recipe.Steps.Count - 1; i >= 0; i--)
        {
            await output.WriteLineAsync("# " + recipe.Steps[i].DeleteCommand).ConfigureAwait(false);
        }
    }
}

namespace MmProxy.Routing;

/// <summary>
/// Installs and removes a <see cref="RoutingRecipe"/> idempotently: each step is listed first and
/// added only when missing; removal deletes every copy present (duplicates included) and leaves
/// anything else in the table alone, including the local route while a rule that is not the
/// recipe's still looks it up (the fwmark rule of --tproxy when only the loopback part is removed).
/// With --tproxy our nft table comes after the `ip` steps and goes before them. Returns one line per
/// step and whether all went well.
/// </summary>
internal sealed class RoutingTables
{
    // Each copy of a rule needs its own `ip rule del`; more than this means something else re-adds it.
    private const int MaxDeletesPerStep = 16;

    private readonly ICommandRunner _ip;
    private readonly NftTables _nft;

    public RoutingTables(ICommandRunner ip, ICommandRunner? nft = null)
    {
        ArgumentNullException.ThrowIfNull(ip);
        _ip = ip;
        _nft = new NftTables(nft ?? IpCommand.Nft());
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

        if (recipe.Nft is not null)
        {
            // Last: packets are diverted only once the fwmark rules route them locally.
            ok &= await _nft.ApplyAsync(recipe.Nft, output, cancellationToken).ConfigureAwait(false);
        }

        return ok;
    }

    public async Task<bool> RemoveAsync(RoutingRecipe recipe, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(output);
        bool ok = true;
        if (recipe.Nft is not null)
        {
            // First: stop diverting before the routing it needs goes.
            ok &= await _nft.RemoveAsync(output, cancellationToken).ConfigureAwait(false);
        }

        for (int i = recipe.Steps.Count - 1; i >= 0; i--)
        {
            RoutingStep step = recipe.Steps[i];
            int removed = 0;
            string? failure = null;
            string? user = step.Kind == RoutingStepKind.Route ? await OtherUserAsync(recipe, step, cancellationToken).ConfigureAwait(false) : null;
            if (user is not null)
            {
                await output.WriteLineAsync($"kept    {step.DeleteCommand}: still used by `{user}`").ConfigureAwait(false);
                continue;
            }

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
    private Task<IpCommandResult> ListAsync(RoutingStep step, CancellationToken cancellationToken) =>
        ListAsync(step.ShowArguments, cancellationToken);

    private async Task<IpCommandResult> ListAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        IpCommandResult listing = await _ip.RunAsync(arguments, cancellationToken).ConfigureAwait(false);
        return !listing.Succeeded && listing.StdErr.Contains("table does not exist", StringComparison.Ordinal)
            ? listing with { ExitCode = 0, StdOut = string.Empty }
            : listing;
    }

    /// <summary>
    /// A rule of the route's family that looks up our table and is not one of the recipe's (they go
    /// too), when the route is there: then the route stays. Null when the route may go (or is absent,
    /// or the listing fails: the delete loop reports that).
    /// </summary>
    private async Task<string?> OtherUserAsync(RoutingRecipe recipe, RoutingStep route, CancellationToken cancellationToken)
    {
        IpCommandResult routes = await ListAsync(route, cancellationToken).ConfigureAwait(false);
        if (!routes.Succeeded || route.CountIn(routes.StdOut) == 0)
        {
            return null;
        }

        IpCommandResult rules = await ListAsync(route.TableRulesArguments, cancellationToken).ConfigureAwait(false);
        if (!rules.Succeeded)
        {
            return null;
        }

        IEnumerable<RoutingStep> ours = recipe.Steps.Where(s => s.Family == route.Family && s.Kind == RoutingStepKind.Rule);
        return rules.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !ours.Any(step => step.CountIn(line) > 0))
            .Select(line => string.Join(' ', line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)))
            .FirstOrDefault();
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

        if (recipe.Nft is not null)
        {
            NftTproxyTable nft = recipe.Nft;
            TproxySpec spec = nft.Spec;
            await output.WriteLineAsync(
                $"# TPROXY: {spec.ProtocolsText} to ports {spec.Ports} (any address) go to the transparent listener on port {spec.ListenPort}, " +
                $"marked {spec.MarkHex}: the fwmark rules above deliver them locally").ConfigureAwait(false);
            await output.WriteLineAsync($"# one nft transaction that replaces table {NftTproxyTable.TableName} as a whole").ConfigureAwait(false);
            await output.WriteLineAsync("nft -f - <<'EOF'").ConfigureAwait(false);
            await output.WriteAsync(nft.ScriptText).ConfigureAwait(false);
            await output.WriteLineAsync("EOF").ConfigureAwait(false);
        }

        await output.WriteLineAsync("# to remove:").ConfigureAwait(false);
        if (recipe.Nft is not null)
        {
            await output.WriteLineAsync("# " + NftTproxyTable.DeleteCommand).ConfigureAwait(false);
        }

        for (int i = recipe.Steps.Count - 1; i >= 0; i--)
        {
            await output.WriteLineAsync("# " + recipe.Steps[i].DeleteCommand).ConfigureAwait(false);
        }
    }
}

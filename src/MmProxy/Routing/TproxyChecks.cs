namespace MmProxy.Routing;

/// <summary>
/// `mmproxy check --tproxy PORTS --to PORT`: is our nft table there with exactly the chain and the
/// rules apply writes? One verdict for the chain and one per rule; a table that is missing, cannot be
/// listed or holds more than we wrote is one failed line. The fix is `mmproxy routing apply` with
/// the same options (it replaces the table as a whole).
/// </summary>
internal sealed class TproxyChecks
{
    private const string TableCheck = "TPROXY table (nft inet mmproxy)";

    private readonly ICommandRunner _nft;
    private readonly RoutingRecipe _recipe;
    private readonly NftTproxyTable _table;

    public TproxyChecks(ICommandRunner nft, RoutingRecipe recipe)
    {
        ArgumentNullException.ThrowIfNull(nft);
        ArgumentNullException.ThrowIfNull(recipe);
        _nft = nft;
        _recipe = recipe;
        _table = recipe.Nft ?? throw new ArgumentException("the recipe has no --tproxy", nameof(recipe));
    }

    public async Task<IReadOnlyList<CheckResult>> TableAsync(CancellationToken cancellationToken = default)
    {
        string fix = _recipe.ApplyCommand;
        NftTableRead read = await NftTableRead.ReadAsync(_nft, cancellationToken).ConfigureAwait(false);
        if (read.Error is not null)
        {
            string readFix = read.CannotRun ? "install nftables (apt-get install nftables)"
                : read.Error.Contains("Operation not permitted", StringComparison.Ordinal) ? "run the check as root (nft needs CAP_NET_ADMIN)"
                : fix;
            return [CheckResult.Failed(TableCheck, "cannot check: " + read.Error, readFix)];
        }

        TproxySpec spec = _table.Spec;
        if (read.Listing is null)
        {
            return [CheckResult.Failed(TableCheck, $"missing: nothing diverts {spec.ProtocolsText} to ports {spec.Ports} to :{spec.ListenPort}", fix)];
        }

        IReadOnlyList<string> chain = read.Listing.Chains.TryGetValue(NftTproxyTable.ChainName, out IReadOnlyList<string>? lines) ? lines : [];
        string hook = NftListing.Normalize(NftTproxyTable.ChainSpec);
        var results = new List<CheckResult>
        {
            chain.Contains(hook)
                ? CheckResult.Ok("TPROXY chain prerouting", hook)
                : CheckResult.Failed("TPROXY chain prerouting", chain.Count == 0 ? "missing" : $"not hooked as '{hook}'", fix),
        };
        foreach (NftRule rule in _table.Rules)
        {
            string name = $"TPROXY rule ({rule.Label})";
            results.Add(chain.Contains(NftListing.Normalize(rule.Text))
                ? CheckResult.Ok(name, rule.Text)
                : CheckResult.Failed(name, "missing: " + rule.Text, fix));
        }

        // A table applied with -p both serves a TCP and a UDP listener: the other protocol's rules are fine here.
        NftTableDiff diff = new NftTproxyTable(spec with { Protocols = TproxyProtocols.Both }).Compare(read.Listing);
        if (diff.Unexpected.Count > 0)
        {
            results.Add(CheckResult.Failed(TableCheck, $"holds what apply did not write (other ports or another listener?): {string.Join("; ", diff.Unexpected)}", fix));
        }
        else if (IsMisordered(chain))
        {
            results.Add(CheckResult.Failed(TableCheck, "the rules are repeated or in another order", fix));
        }

        return results;
    }

    /// <summary>All of our lines are there, but repeated or in another order (the shortcut after the tproxy rule is never reached).</summary>
    private bool IsMisordered(IReadOnlyList<string> chain)
    {
        var needed = new List<string> { NftListing.Normalize(NftTproxyTable.ChainSpec) };
        needed.AddRange(_table.Rules.Select(r => NftListing.Normalize(r.Text)));
        return needed.All(chain.Contains) && !chain.Where(needed.Contains).SequenceEqual(needed);
    }
}

namespace MmProxy.Routing;

/// <summary>
/// Applies and removes our nft table (<see cref="NftTproxyTable"/>) idempotently: listed first,
/// written only when missing or different (one transaction that replaces it as a whole), checked
/// again after writing; removed as a whole. One output line each, in the style of
/// <see cref="RoutingTables"/>.
/// </summary>
internal sealed class NftTables
{
    private readonly ICommandRunner _nft;

    public NftTables(ICommandRunner nft)
    {
        ArgumentNullException.ThrowIfNull(nft);
        _nft = nft;
    }

    public async Task<bool> ApplyAsync(NftTproxyTable table, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(output);
        NftTableRead before = await NftTableRead.ReadAsync(_nft, cancellationToken).ConfigureAwait(false);
        if (before.Error is not null)
        {
            await output.WriteLineAsync($"FAILED  {table.Summary}: cannot list: {before.Error}").ConfigureAwait(false);
            return false;
        }

        NftTableDiff diff = table.Compare(before.Listing);
        if (diff.IsSame)
        {
            await output.WriteLineAsync($"present {table.Summary}").ConfigureAwait(false);
            return true;
        }

        IpCommandResult written = await _nft.RunAsync(NftTproxyTable.ApplyArguments, table.ScriptText, cancellationToken).ConfigureAwait(false);
        if (!written.Succeeded)
        {
            await output.WriteLineAsync($"FAILED  {table.Summary}: {written.FirstErrorLine}{Hint(written)}").ConfigureAwait(false);
            return false;
        }

        // What nft lists now is what the next apply and `mmproxy check` compare with.
        NftTableRead after = await NftTableRead.ReadAsync(_nft, cancellationToken).ConfigureAwait(false);
        NftTableDiff check = table.Compare(after.Listing);
        if (after.Error is not null || !check.IsSame)
        {
            string why = after.Error ?? (check.Exists ? check.Describe() : "the table is not there");
            await output.WriteLineAsync($"FAILED  {table.Summary}: written, but `nft list table {NftTproxyTable.TableName}` shows otherwise: {why}").ConfigureAwait(false);
            return false;
        }

        await output.WriteLineAsync(diff.Exists ? $"changed {table.Summary} (replaced: {diff.Describe()})" : $"added   {table.Summary}").ConfigureAwait(false);
        return true;
    }

    public async Task<bool> RemoveAsync(TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        string command = NftTproxyTable.DeleteCommand;
        NftTableRead before = await NftTableRead.ReadAsync(_nft, cancellationToken).ConfigureAwait(false);
        if (before.Error is not null)
        {
            await output.WriteLineAsync($"FAILED  {command}: cannot list: {before.Error}").ConfigureAwait(false);
            return false;
        }

        if (before.Listing is null)
        {
            await output.WriteLineAsync($"absent  {command}").ConfigureAwait(false);
            return true;
        }

        IpCommandResult deleted = await _nft.RunAsync(NftTproxyTable.DeleteArguments, null, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(deleted.Succeeded ? $"removed {command}" : $"FAILED  {command}: {deleted.FirstErrorLine}").ConfigureAwait(false);
        return deleted.Succeeded;
    }

    // nft names the line of the script it refused; say what usually causes it.
    private static string Hint(IpCommandResult result) =>
        result.StdErr.Contains("Operation not permitted", StringComparison.Ordinal)
            ? " (nft needs CAP_NET_ADMIN: run as root)"
            : result.StdErr.Contains("No such file or directory", StringComparison.Ordinal) || result.StdErr.Contains("not supported", StringComparison.Ordinal)
                ? " (a kernel without TPROXY in nftables? `modprobe nft_tproxy nft_socket`)"
                : string.Empty;
}

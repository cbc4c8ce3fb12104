namespace MmProxy.Routing;

/// <summary>
/// What `nft list table inet mmproxy` found: the table (null when there is none), or why it could
/// not be listed (<see cref="Error"/>, with <see cref="CannotRun"/> when nft is missing or hung).
/// </summary>
internal sealed record NftTableRead(NftListing? Listing, string? Error, bool CannotRun = false)
{
    public static async Task<NftTableRead> ReadAsync(ICommandRunner nft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nft);
        IpCommandResult listing = await nft.RunAsync(NftTproxyTable.ListArguments, null, cancellationToken).ConfigureAwait(false);
        if (listing.Succeeded)
        {
            return new NftTableRead(NftListing.Parse(listing.StdOut), null);
        }

        // "Error: No such file or directory": the table does not exist (yet).
        return listing.ExitCode > 0 && listing.StdErr.Contains("No such file or directory", StringComparison.Ordinal)
            ? new NftTableRead(null, null)
            : new NftTableRead(null, listing.FirstErrorLine, listing.ExitCode < 0);
    }
}

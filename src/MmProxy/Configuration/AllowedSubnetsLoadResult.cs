namespace MmProxy.Configuration;

/// <summary>The outcome of reading an allowed-subnets file: a snapshot (with warnings) or an error.</summary>
internal sealed class AllowedSubnetsLoadResult
{
    private AllowedSubnetsLoadResult(AllowedSubnets? subnets, string? error, IReadOnlyList<string> warnings)
    {
        Subnets = subnets;
        Error = error;
        Warnings = warnings;
    }

    /// <summary>Non-null on success.</summary>
    public AllowedSubnets? Subnets { get; }

    /// <summary>Non-null on failure; names the file (and line when one is to blame).</summary>
    public string? Error { get; }

    public IReadOnlyList<string> Warnings { get; }

    public bool Succeeded => Subnets is not null;

    public static AllowedSubnetsLoadResult Success(AllowedSubnets subnets, IReadOnlyList<string> warnings) =>
        new(subnets, null, warnings);

    public static AllowedSubnetsLoadResult Failure(string error, IReadOnlyList<string> warnings) =>
        new(null, error, warnings);
}

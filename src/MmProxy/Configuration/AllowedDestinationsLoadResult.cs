namespace MmProxy.Configuration;

/// <summary>The outcome of reading an allowed-destinations list: the list (with warnings) or an error naming the line.</summary>
internal sealed class AllowedDestinationsLoadResult
{
    private AllowedDestinationsLoadResult(AllowedDestinations? destinations, string? error, IReadOnlyList<string> warnings)
    {
        Destinations = destinations;
        Error = error;
        Warnings = warnings;
    }

    /// <summary>Non-null on success.</summary>
    public AllowedDestinations? Destinations { get; }

    public string? Error { get; }

    public IReadOnlyList<string> Warnings { get; }

    public bool Succeeded => Destinations is not null;

    public static AllowedDestinationsLoadResult Success(AllowedDestinations destinations, IReadOnlyList<string> warnings) => new(destinations, null, warnings);

    public static AllowedDestinationsLoadResult Failure(string error, IReadOnlyList<string> warnings) => new(null, error, warnings);
}

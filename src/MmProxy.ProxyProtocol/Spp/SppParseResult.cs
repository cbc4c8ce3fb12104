namespace MmProxy.ProxyProtocol;

/// <summary>Either a header (the payload starts at <see cref="SppHeader.Length"/>) or the reason there is none.</summary>
public readonly struct SppParseResult
{
    private SppParseResult(SppParseError error, SppHeader header)
    {
        Error = error;
        Header = header;
    }

    /// <summary><see cref="SppParseError.None"/> when <see cref="Header"/> is valid.</summary>
    public SppParseError Error { get; }

    public SppHeader Header { get; }

    public bool IsValid => Error == SppParseError.None;

    public static SppParseResult Invalid(SppParseError error) => new(error, default);

    public static SppParseResult Valid(SppHeader header) => new(SppParseError.None, header);

    public override string ToString() => IsValid ? Header.ToString() : $"Invalid({Error})";
}

namespace MmProxy.Routing;

/// <summary>One check's verdict, what was found, and (when failed) the command that fixes it.</summary>
internal sealed record CheckResult(string Name, CheckStatus Status, string Detail, string? Fix = null)
{
    public static CheckResult Ok(string name, string detail) => new(name, CheckStatus.Ok, detail);

    public static CheckResult Failed(string name, string detail, string? fix) => new(name, CheckStatus.Failed, detail, fix);

    public static CheckResult Skipped(string name, string detail) => new(name, CheckStatus.Skipped, detail);

    /// <summary>One line: "OK      name: detail" / "FAILED  name: detail; fix: command".</summary>
    public override string ToString()
    {
        string verdict = Status switch
        {
            CheckStatus.Ok => "OK     ",
            CheckStatus.Failed => "FAILED ",
            _ => "SKIPPED",
        };
        return Fix is null ? $"{verdict} {Name}: {Detail}" : $"{verdict} {Name}: {Detail}; fix: {Fix}";
    }
}

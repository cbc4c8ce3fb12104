namespace MmProxy.Inspect;

/// <summary>Opens stdin only when it is piped or redirected: a terminal is a usage error, not a hang.</summary>
internal static class StandardInput
{
    public static Stream? OpenIfRedirected() => Console.IsInputRedirected ? Console.OpenStandardInput() : null;
}

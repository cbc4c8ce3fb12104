namespace MmProxy.Inspect;

/// <summary>Exit statuses of <c>mmproxy inspect</c>.</summary>
internal static class InspectExitCodes
{
    public const int Valid = 0;

    public const int Invalid = 1;

    public const int Usage = 2;

    public const int Incomplete = 3;
}

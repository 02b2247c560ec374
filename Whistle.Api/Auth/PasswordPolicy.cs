using Whistle.Core.Problems;

namespace Whistle.Api.Auth;

/// <summary>
/// 身份鉴别 (等保 2.0, level 3): a password has at least <see cref="AuthOptions.MinimumPasswordLength"/> characters,
/// three of the four kinds (lower case, upper case, digits, others), is not the user name (nor contains it), and is not
/// one of the passwords everybody tries first.
/// </summary>
public static class PasswordPolicy
{
    public const int MaximumLength = 256;

    // Lower-cased; compared with the password lower-cased. The ones people pick to pass "three kinds of characters".
    private static readonly HashSet<string> Common = new(StringComparer.Ordinal)
    {
        "password", "password1", "password12", "password123", "password1234", "password@123", "password!", "p@ssw0rd", "p@ssw0rd1",
        "p@ssw0rd123", "p@ssword1", "p@ssword123", "passw0rd", "passw0rd!", "passw0rd123", "admin@123", "admin@1234", "admin@12345",
        "admin123!", "admin#123", "admin@2024", "admin@2025", "admin@2026", "root@123", "root@1234", "qwer@1234", "qwer1234!", "qwe123!@#",
        "qwerty123", "qwerty123!", "qwerty@123", "1qaz@wsx", "1qaz2wsx", "1qaz2wsx#edc", "1qaz@wsx#edc", "1qaz2wsx3edc", "1q2w3e4r",
        "1q2w3e4r5t", "1q2w3e4r!", "abc@1234", "abc@12345", "abc123456", "abc123!@#", "aa123456", "aa123456!", "a123456789", "a1234567890",
        "asdf@1234", "zxcv@1234", "welcome1", "welcome@123", "welcome123!", "changeme1", "changeme123", "letmein1", "iloveyou1",
        "woaini1314", "woaini520", "huawei@123", "huawei12#$", "test@1234", "test@123", "test123!", "sa@123456", "whistle123",
        "whistle@123", "whistle@2026", "demo@1234", "12345678", "123456789", "1234567890", "123456789a", "11111111", "88888888",
        "abcd1234", "abcd@1234", "abcd1234!", "qazwsx123", "qazwsxedc", "Aa123456".ToLowerInvariant(), "aa@123456", "aaa111!!!",
    };

    public static bool IsCommon(string password) => Common.Contains(password.ToLowerInvariant());

    /// <summary>Why <paramref name="password"/> is refused, or null when it is acceptable.</summary>
    public static ProblemText? Check(string? password, string? userName, int minimumLength)
    {
        if (password is null || password.Length < minimumLength || password.Length > MaximumLength)
            return Problem.PasswordPolicy(minimumLength, MaximumLength);
        var kinds = (password.Any(char.IsLower) ? 1 : 0) + (password.Any(char.IsUpper) ? 1 : 0) + (password.Any(char.IsDigit) ? 1 : 0)
            + (password.Any(c => !char.IsLetterOrDigit(c)) ? 1 : 0);
        if (kinds < 3) return Problem.PasswordKinds();
        if (!string.IsNullOrEmpty(userName) && password.Contains(userName, StringComparison.OrdinalIgnoreCase))
            return Problem.PasswordContainsUserName();
        if (IsCommon(password)) return Problem.PasswordCommon();
        return null;
    }
}
